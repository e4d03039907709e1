//go:build amd64 && !purego

#include "textflag.h"

// func termGroups(k, q, lo, thr, first []int32, start, iters int)
//
// termGroupsGo (kernel_vec.go) in AVX2. One YMM register holds 8 keys, one int32 lane each; the
// lanes bisect independently over steps [start, len(lo)-1]: each halving gathers lo[mid] and
// thr[mid] for its lane, forms q . (k >> lo[mid]) element by element (VPSRAVD on k << 16, then
// VPMADDWD against q << 16, whose zero bottom half drops the shifted-out bits) and keeps the
// half that holds the first step with a dot <= thr. len(q) is a multiple of 4.
//
// Registers: SI the group's keys, DX q, CX len(q), R8 lo, R9 thr, DI first, BX groups left,
// R10 iters, R11 bytes per group; Y10 start, Y11 len(lo)-1, Y12 ones; per group Y0 a, Y1 b.
TEXT ·termGroups(SB), NOSPLIT, $0-136
	MOVQ k_base+0(FP), SI
	MOVQ q_base+24(FP), DX
	MOVQ q_len+32(FP), CX
	MOVQ lo_base+48(FP), R8
	MOVQ lo_len+56(FP), AX
	MOVQ thr_base+72(FP), R9
	MOVQ first_base+96(FP), DI
	MOVQ first_len+104(FP), BX
	MOVQ iters+128(FP), R10
	SHRQ $3, BX
	JZ   done
	TESTQ CX, CX
	JZ   done
	TESTQ R10, R10
	JZ   done

	DECQ AX
	MOVQ AX, X11
	VPBROADCASTD X11, Y11
	MOVQ start+120(FP), AX
	MOVQ AX, X10
	VPBROADCASTD X10, Y10
	MOVL $1, AX
	MOVQ AX, X12
	VPBROADCASTD X12, Y12
	MOVQ CX, R11
	SHLQ $5, R11

group:
	VMOVDQA Y10, Y0
	VMOVDQA Y11, Y1
	MOVQ    R10, R12

halve:
	// mid = (a + b) >> 1; Y3 = lo[mid], Y4 = thr[mid] (the gathers clear their masks).
	VPADDD     Y0, Y1, Y2
	VPSRLD     $1, Y2, Y2
	VPCMPEQD   Y13, Y13, Y13
	VPGATHERDD Y13, (R8)(Y2*4), Y3
	VPCMPEQD   Y13, Y13, Y13
	VPGATHERDD Y13, (R9)(Y2*4), Y4

	// Y5 + Y6 = q . (k >> lo) for the 8 keys, 4 elements a round.
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	MOVQ  SI, R13
	MOVQ  DX, R14
	MOVQ  CX, AX

elem:
	VMOVDQU      (R13), Y7
	VPSRAVD      Y3, Y7, Y7
	VPBROADCASTD (R14), Y8
	VPMADDWD     Y8, Y7, Y7
	VPADDD       Y7, Y5, Y5
	VMOVDQU      32(R13), Y9
	VPSRAVD      Y3, Y9, Y9
	VPBROADCASTD 4(R14), Y14
	VPMADDWD     Y14, Y9, Y9
	VPADDD       Y9, Y6, Y6
	VMOVDQU      64(R13), Y7
	VPSRAVD      Y3, Y7, Y7
	VPBROADCASTD 8(R14), Y8
	VPMADDWD     Y8, Y7, Y7
	VPADDD       Y7, Y5, Y5
	VMOVDQU      96(R13), Y9
	VPSRAVD      Y3, Y9, Y9
	VPBROADCASTD 12(R14), Y14
	VPMADDWD     Y14, Y9, Y9
	VPADDD       Y9, Y6, Y6
	ADDQ         $128, R13
	ADDQ         $16, R14
	SUBQ         $4, AX
	JNZ          elem

	// Y9 = dot > thr: the first step is above mid (a = mid + 1), else at or below it (b = mid).
	VPADDD    Y6, Y5, Y5
	VPCMPGTD  Y4, Y5, Y9
	VPADDD    Y12, Y2, Y14
	VPBLENDVB Y9, Y14, Y0, Y0
	VPBLENDVB Y9, Y1, Y2, Y1
	DECQ      R12
	JNZ       halve

	VMOVDQU Y0, (DI)
	ADDQ    $32, DI
	ADDQ    R11, SI
	DECQ    BX
	JNZ     group

done:
	VZEROUPPER
	RET

// func transposeAVX2(k []int32, planes []uint8, m, groups, bitsK, stride int)
//
// For each of the m keys (groups*8 int32 in k) and each group g of 8 elements: shift the 8 lanes
// left by 32-bitsK, so that bit bitsK-1 is each lane's sign, then for b = bitsK-1 down to 0 store
// VMOVMSKPS (the 8 signs: bit i from element i) as byte g of plane b, and shift left by one.
// Plane b of key j starts at byte (j*bitsK+b)*stride.
//
// Registers: SI k, DI the key's planes, DX its byte g of plane 0, R8 groups, R9 bitsK, R10 keys
// left, CX stride, R11 bytes per key (bitsK*stride), R12 (bitsK-1)*stride; X15 the first
// shift.
TEXT ·transposeAVX2(SB), NOSPLIT, $0-80
	MOVQ  k_base+0(FP), SI
	MOVQ  planes_base+24(FP), DI
	MOVQ  m+48(FP), R10
	MOVQ  groups+56(FP), R8
	MOVQ  bitsK+64(FP), R9
	MOVQ  stride+72(FP), CX
	TESTQ R10, R10
	JZ    tdone
	TESTQ R8, R8
	JZ    tdone
	TESTQ R9, R9
	JZ    tdone
	MOVQ  $32, AX
	SUBQ  R9, AX
	MOVQ  AX, X15
	MOVQ  R9, R11
	IMULQ CX, R11
	MOVQ  R11, R12
	SUBQ  CX, R12

tkey:
	MOVQ DI, DX
	MOVQ R8, BX

tgroup:
	VMOVDQU (SI), Y0
	VPSLLD  X15, Y0, Y0
	LEAQ    (DX)(R12*1), R13
	MOVQ    R9, R14

tplane:
	VMOVMSKPS Y0, AX
	MOVB      AX, (R13)
	VPSLLD    $1, Y0, Y0
	SUBQ      CX, R13
	DECQ      R14
	JNZ       tplane

	ADDQ $32, SI
	INCQ DX
	DECQ BX
	JNZ  tgroup

	ADDQ R11, DI
	DECQ R10
	JNZ  tkey

tdone:
	VZEROUPPER
	RET
