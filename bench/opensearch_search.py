"""The query set on both backends over indexes built beforehand, with bench/perf.py's own engines
and timing loop (engines take turns query by query; one untimed pass, then 2 timed rounds):

    .venv/bin/python bench/opensearch_search.py EMBEDDED_INDEX_DIR http://HOST:PORT/ALIAS

For a size where perf.py --opensearch-only would also rebuild the embedded index twice (107k).
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf  # noqa: E402

queries = json.load(open(perf.QUERIES_FILE, encoding="utf-8"))["queries"]
engines = [perf.OursEngine(Path(sys.argv[1])), perf.OpenSearchEngine(sys.argv[2])]
out = perf.measure_search(engines, queries, 2)
print(json.dumps({name: {k: v[k] for k in ("p50", "p95", "p99", "mean", "mean_total", "zero_results", "errors")
                         if k in v} for name, v in out.items()}, indent=1))
