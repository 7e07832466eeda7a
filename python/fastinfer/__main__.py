"""``python -m fastinfer``: the demo (fastinfer/demo): native kernels, then a small model."""

from fastinfer.demo import main

raise SystemExit(main())
