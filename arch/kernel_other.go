//go:build !amd64 || purego

package arch

// haveAsm says whether this build has the assembly path (amd64 without the purego tag).
const haveAsm = false

// useVector reports whether new kernels take the vector path: never without the assembly.
func useVector() bool { return false }

// termGroups is never called without the assembly (useVector is false); it runs the Go model.
func termGroups(k, q, lo, thr, first []int32, start, iters int) {
	termGroupsGo(k, q, lo, thr, first, start, iters)
}

// transposeVector is never called without the assembly (useVector is false); it runs
// transposeGo.
func transposeVector(k []int32, planes []uint8, m, d, bitsK int) {
	transposeGo(k, planes, m, d, bitsK)
}

// transposeVector64 is never called without the assembly (useVector is false); it runs
// transposeGo64.
func transposeVector64(k []int32, planes []uint64, m, d, bitsK int) {
	transposeGo64(k, planes, m, d, bitsK)
}
