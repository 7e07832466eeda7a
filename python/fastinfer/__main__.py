"""``python -m fastinfer``: the demo of the native kernels."""

from fastinfer.demo import main

raise SystemExit(main())
