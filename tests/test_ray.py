"""nlpkit.ray.annotate on a local Ray instance: rows gain the results in-process pipe gives."""

from __future__ import annotations

import json


def test_rows_gain_the_pipelines_results_and_an_error_column(local_ray) -> None:  # type: ignore[no-untyped-def]
    import ray.data

    import nlpkit.ray

    texts = ["我来到北京清华大学", "上海浦东开发与法制建设同步", "", "今天天气很好。"] * 10
    rows = [{"text": t, "n": i} for i, t in enumerate(texts)] + [{"text": None, "n": 40}]
    annotated = nlpkit.ray.annotate(ray.data.from_items(rows), "zh-cws-hmm", actors=2, batch_size=8)
    out = sorted(annotated.take_all(), key=lambda row: row["n"])
    expected = [r.to_json() for r in nlpkit.load("zh-cws-hmm").pipe(texts)]
    assert [json.loads(row["result"]) for row in out[:40]] == expected
    assert all(row["error"] is None for row in out[:40])
    assert out[40]["result"] is None and out[40]["error"] == "column 'text' holds no text here"
