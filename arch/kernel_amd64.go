//go:build amd64 && !purego

package arch

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAsm says whether this build has the assembly path (amd64 without the purego tag).
const haveAsm = true

// useVector reports whether new kernels take the vector path: the CPU has AVX2.
func useVector() bool { return cpu.X86.HasAVX2 }

// termGroups is termGroupsGo in AVX2 (kernel_amd64.s): 8 keys a YMM register, one int32 lane
// each.
//
//go:noescape
func termGroups(k, q, lo, thr, first []int32, start, iters int)

// transposeVector is transposeGo with the AVX2 transpose: rows whose d is not a multiple of 8
// are copied into zero-padded rows first.
func transposeVector(k []int32, planes []uint8, m, d, bitsK int) {
	groups := (d + 7) / 8
	transposeVectorStride(k, planes[:m*bitsK*groups], m, d, bitsK, groups)
}

// transposeVector64 is transposeGo64 with the AVX2 transpose: a plane's word is its 8 bytes,
// little-endian, so byte g of the word holds elements 8g..8g+7 as transposeGo lays them out.
func transposeVector64(k []int32, planes []uint64, m, d, bitsK int) {
	if len(planes) < m*bitsK || d > 64 {
		panic("arch: transposeVector64: planes too short or d > 64")
	}
	if m*bitsK == 0 {
		return
	}
	bytes := unsafe.Slice((*uint8)(unsafe.Pointer(&planes[0])), 8*m*bitsK)
	clear(bytes) // the groups of a word beyond ceil(d/8) stay zero
	transposeVectorStride(k, bytes, m, d, bitsK, 8)
}

// transposeVectorStride writes byte g of plane b of key j at planes[(j*bitsK+b)*stride+g].
func transposeVectorStride(k []int32, planes []uint8, m, d, bitsK, stride int) {
	groups := (d + 7) / 8
	if m <= 0 || d <= 0 || bitsK <= 0 || bitsK > 32 {
		return
	}
	if len(planes) < (m*bitsK-1)*stride+groups || stride < groups {
		panic("arch: transposeVector: planes too short")
	}
	src := k[:m*d]
	if d%8 != 0 {
		src = make([]int32, m*groups*8)
		for j := 0; j < m; j++ {
			copy(src[j*groups*8:], k[j*d:(j+1)*d])
		}
	}
	transposeAVX2(src, planes, m, groups, bitsK, stride)
}

// transposeAVX2 is transposeGo for d = 8*groups in AVX2 (kernel_amd64.s), with byte g of plane
// b of key j at planes[(j*bitsK+b)*stride+g]: for 8 elements at a time it shifts plane b's bit
// into each int32 lane's sign and VMOVMSKPS gathers the 8 signs into the plane's byte. It
// writes every such byte and no other.
//
//go:noescape
func transposeAVX2(k []int32, planes []uint8, m, groups, bitsK, stride int)
