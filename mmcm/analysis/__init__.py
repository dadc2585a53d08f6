"""The code behind the tools: recipe studies and benchmarks.

Each module serves one tool (``study`` ``tools/recipe_study.py``,
``benchmarking`` and ``benchmark_targets`` ``tools/benchmark.py``,
``data_benchmark`` ``tools/benchmark_data.py``); none is part of the
user-facing API of :mod:`mmcm.apis`. The top layer of the package: it may
import every other part of mmcm, :mod:`mmcm.apis` included, and nothing in
mmcm imports it. Its modules are imported by name; this one imports none.
"""
