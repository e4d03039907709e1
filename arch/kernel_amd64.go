//go:build amd64 && !purego

package arch

import "golang.org/x/sys/cpu"

// haveAsm says whether this build has the assembly path (amd64 without the purego tag).
const haveAsm = true

// useVector reports whether new kernels take the vector path: the CPU has AVX2.
func useVector() bool { return cpu.X86.HasAVX2 }

// termGroups is termGroupsGo in AVX2 (kernel_amd64.s): 8 keys a YMM register, one int32 lane
// each.
//
//go:noescape
func termGroups(k, q, lo, thr, first []int32, start, iters int)
