# trainctl: controller of the Beijing–Pyongyang international coaches.
#   make sim     boot the firmware on the virtual board (MicroPython unix port), run a whole journey
#   make deploy  BOARD=rp2040|esp32 PORT=/dev/ttyACM0: compile, copy what changed (into the board's ROMFS
#                partition if it has one), reset, show the boot line
#   make frames  a journey's display frames as PNG/GIF (build/frames)
#   make demo    replay a generated Beijing -> Pyongyang journey and show the passengers' timeline
#   make check   before each commit, under a minute: ruff, pyright, the unit and portable tests on CPython
#   make test    every test CI runs: ruff, mpy-cross, pyright (MicroPython stubs), pytest + hypothesis on
#                CPython, the same logic under MicroPython (unix port and WebAssembly port), the virtual board
#   make bench   speed and memory figures, side by side with peer parsers -> BENCH.md
#   make soak    24-hour virtual-board journeys, long property runs, the 1,000-journey fault soak (not in make test)
#   make route   regenerate firmware/trainctl/route_data.py and font_data.py from routes/beijing-pyongyang.json
#   make pivot   regenerate firmware/trainctl/build_data.py: today's date, the GPS week-rollover pivot
#   make golden  regenerate the display's golden images in tests/data/golden (after a deliberate change)
#   make voice   regenerate firmware/voice.bin (the announcement clips: espeak-ng, recordings in voice/)
# Each target installs what it needs (a venv from requirements-dev.txt, npm packages, the Debian package
# unifont for the display font) itself.

PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
NPMSTAMP := node_modules/.installed
ROUTE   := routes/beijing-pyongyang.json
BUILD   := build
DIRECTION ?= to_pyongyang
SEED    ?= 1
SYNTH   = $(VPY) -m host_tools.synth --noise-m 15 --jumps 4 --frozen 2 --garbage 0.002 --talkers GN,GP,BD,GB --shunting --wander-m 8000

UNIFONT := /usr/share/unifont/unifont.hex
ESPEAK  := /usr/bin/espeak-ng
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: pivot fuzz sim demo frames docs-frames package deploy bundle check test lint typecheck bench route golden soak clean venv npm unifont voice espeak

venv: $(STAMP)
$(STAMP): requirements-dev.txt pyproject.toml typecheck/install_stubs.py host_tools/build/fetch_mplib.py
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # trainctl, host_tools importable
	$(VPY) typecheck/install_stubs.py
	$(VPY) -m host_tools.build.fetch_mplib  # micropython-lib's ssd1306 driver for the host tests (PyPI sdist)
	touch $@

# GNU Unifont, the source of the display's CJK/Hangul/Latin glyphs (host_tools/build/font.py).
unifont: $(UNIFONT)
$(UNIFONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unifont

# espeak-ng (Debian package espeak-ng; voices cmn, ko, en), the synthetic voice of the announcements.
espeak: $(ESPEAK)
$(ESPEAK):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng

voice: $(STAMP) $(ESPEAK)
	$(VPY) -m host_tools.build.voice $(ROUTE) firmware/voice.bin

npm: $(NPMSTAMP)
$(NPMSTAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The main job for now: a whole journey with realistic faults, replayed through the firmware's logic.
demo: $(STAMP)
	@mkdir -p $(BUILD)
	$(SYNTH) --direction $(DIRECTION) --seed $(SEED) -o $(BUILD)/journey.nmea --truth $(BUILD)/journey.truth.json
	$(VPY) -m host_tools.replay $(BUILD)/journey.nmea
	$(VPY) -m host_tools.replay.judge $(BUILD)/journey.nmea $(BUILD)/journey.truth.json

# The firmware on the virtual board (MicroPython unix port, fake hardware): a whole journey, frames in build/sim.
sim: $(STAMP)
	$(VPY) -m host_tools.vboard.sim --direction $(DIRECTION) --seed $(SEED)

# What passengers see on a whole journey: PNG stills of every alert and GIFs, both displays -> build/frames.
frames: $(STAMP)
	@mkdir -p $(BUILD)
	$(SYNTH) --direction $(DIRECTION) --seed $(SEED) -o $(BUILD)/journey.nmea --truth $(BUILD)/journey.truth.json
	$(VPY) -m host_tools.replay.frames $(BUILD)/journey.nmea --display both --gif --clip-s 40 --out $(BUILD)/frames

# The pictures of docs/passengers.md (docs/frames), from the default demo journey.
docs-frames: $(STAMP)
	@mkdir -p $(BUILD)
	$(SYNTH) --direction to_pyongyang --seed 1 -o $(BUILD)/docs-journey.nmea
	rm -rf docs/frames
	$(VPY) -m host_tools.replay.frames $(BUILD)/docs-journey.nmea --display both --scale 3 --clip-s 40 --out docs/frames \
		--gif --gif-clips 'oled/border_*' \
		--pick beijing=oled/rotate_k27_at-beijing_en --pick beijing=ticker/rotate_k27_at-beijing_en_p2 \
		--pick 'bridge=oled/border_*_ko' --pick 'bridge=ticker/border_*_zh_p2' \
		--pick sinuiju=oled/train_52_zh --pick sinuiju=ticker/train_52_zh_p2 \
		--pick pyongyang=oled/arrival_pyongyang_ko --pick pyongyang=ticker/arrival_pyongyang_zh_p1

route: $(STAMP) $(UNIFONT)
	$(VPY) -m host_tools.build.route $(ROUTE) firmware/trainctl/route_data.py
	$(VPY) -m host_tools.build.font $(ROUTE) firmware/trainctl/font_data.py
	$(VPY) -m host_tools.build.consts

# The build day, the pivot of the GPS week-rollover correction: a release build runs this (DATE=YYYY-MM-DD to
# choose), no later than the first day the firmware runs in a coach.
pivot: $(STAMP)
	$(VPY) -m host_tools.build.pivot $(if $(DATE),--date $(DATE)) firmware/trainctl/build_data.py

# Flash the firmware onto a board: make deploy BOARD=rp2040|esp32|virtual PORT=/dev/ttyACM0 [ROMFS=auto|yes|no]
# (the ssd1306 driver: the pinned file host_tools/build/fetch_mplib.py fetched, the one the tests run) (auto: into the board's ROMFS partition when it has one, run in place from flash)
# With build/bundle (make bundle) present, deploy takes micropython-lib's files from it: no network.
BUNDLE  ?= $(wildcard $(BUILD)/bundle)
deploy: $(STAMP)
	$(VPY) -m host_tools.board.deploy --board $(BOARD) --port $(PORT) $(if $(ROMFS),--romfs $(ROMFS)) $(if $(BUNDLE),--bundle $(BUNDLE))

# The depot's offline bundle: the pinned micropython-lib files in a local mip index (build/bundle; copy it to a
# depot PC without internet). `make deploy` uses it when present.
bundle: $(STAMP)
	$(VPY) -m host_tools.build.bundle -o $(BUILD)/bundle

# firmware/package.json (mip's manifest) lists every firmware file: regenerate after adding one.
package: $(STAMP)
	$(VPY) -m host_tools.build.package

golden: $(STAMP)
	UPDATE_GOLDEN=1 $(VPY) -m pytest -q tests/unit/test_pages.py -k golden

lint: $(STAMP)
	$(VPY) -m ruff check .
	$(VPY) -m ruff check --config typecheck/ruff-micropython.toml firmware

typecheck: $(STAMP)
	$(VENV)/bin/pyright -p pyrightconfig.json
	$(VENV)/bin/pyright -p typecheck/pyrightconfig.esp32.json

# Before each commit (under a minute): lint, type check, the unit and portable tests on CPython.
check: lint typecheck
	$(VPY) -m pytest -q tests/unit tests/portable

# Everything CI runs (.ci/run): lint, then every tier on both cores (one file per worker), the 24-hour runs aside.
test: $(STAMP) $(NPMSTAMP) $(UNIFONT) $(ESPEAK)
	$(VPY) -m ruff check .
	$(VPY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not soak" tests

# Long runs, not part of `make test`: the three 24-hour virtual-board journeys (marker soak), hypothesis with 50x
# the examples, then the fault-injection soak (1,000 seeded journeys with GPS faults, inputs and power cuts;
# about 15 minutes on 2 cores).
soak: $(STAMP) $(NPMSTAMP)
	$(VPY) -m pytest -m soak tests/vboard
	HYPOTHESIS_SCALE=50 $(VPY) -m pytest tests/property/test_journey_stateful.py tests/property/test_nmea_props.py \
		tests/property/test_geo_oracle.py
	$(VPY) -m host_tools.verify.faults --journeys 1000 --quick --jobs 2

# Coverage-guided fuzzing (atheris), not part of `make test`; crashes land in tests/data/fuzz/crashes/
# and tests/tooling/test_fuzz_regress.py replays them (and the corpus) on every test run.
fuzz: $(STAMP)
	$(VPY) -m host_tools.verify.fuzz parser --runs 1000000 --jobs 2
	$(VPY) -m host_tools.verify.fuzz inputs --runs 50000
	$(VPY) -m host_tools.verify.fuzz route --runs 50000

bench: $(STAMP)
	$(VPY) -m host_tools.bench.main -o BENCH.md

clean:
	rm -rf $(BUILD) .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -exec rm -rf {} +
