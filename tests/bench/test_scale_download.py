"""bench/scale_download.py: the download of one release, taken apart pass by pass."""
from __future__ import annotations

import re

from bench.ged_generate import generate
from bench.scale_download import PASSES, main


def test_each_pass_receives_the_whole_file_and_leaves_nothing(tmp_path, capsys):
    release = generate(tmp_path / "served" / "GEDEvent.csv", 2000, seed=5, revision=0)
    assert main([str(release)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == list(PASSES)
    received = [int(re.search(r"MB/s, ([\d,]+) bytes\)", line).group(1).replace(",", "")) for line in lines]
    assert received == [release.stat().st_size] * len(PASSES)   # the whole body went through every pass
    assert sorted(p.name for p in release.parent.iterdir()) == ["GEDEvent.csv"]
