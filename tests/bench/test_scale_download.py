"""bench/scale_download.py: the download of one release, taken apart pass by pass."""
from __future__ import annotations

import re

from bench.ged_generate import generate
from bench.scale_download import DELTA_PASS, PASSES, main


def test_each_pass_receives_the_whole_file_and_leaves_nothing(tmp_path, capsys):
    release = generate(tmp_path / "served" / "GEDEvent.csv", 2000, seed=5, revision=0)
    assert main([str(release)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == list(PASSES)
    received = [int(re.search(r"MB/s, ([\d,]+) bytes\)", line).group(1).replace(",", "")) for line in lines]
    assert received == [release.stat().st_size] * len(PASSES)   # the whole body went through every pass
    assert sorted(p.name for p in release.parent.iterdir()) == ["GEDEvent.csv"]


def test_the_line_delta_pass_receives_the_whole_file_and_leaves_nothing(tmp_path, capsys):
    base = generate(tmp_path / "GEDEvent_r0.csv", 2000, seed=5, revision=0)
    release = generate(tmp_path / "served" / "GEDEvent_r1.csv", 2000, seed=5, revision=1)
    assert main([str(release), "--base", str(base)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"{DELTA_PASS}:") and f"{release.stat().st_size:,} bytes" in last
    assert sorted(p.name for p in release.parent.iterdir()) == ["GEDEvent_r1.csv"]
