"""Spoken announcement phrases (human-edited): one per language in route_data.LANGS order (zh, ko, en).

An announcement is, in each language in turn, PRE + name + POST: "下一站" 天津; "다음역은" 톈진 "입니다"; "The next
stop is" Tianjin. Names are the route source's display names (stations, trains) and zone names, spoken by the
language's voice. host_tools/build/voice.py makes a clip of each (espeak-ng, or an operator's recording in voice/,
see there) into the clip file firmware/voice.bin: the fixed phrases first, in ORDER, 3 clips each (the firmware
knows their indexes as constants: trainctl/announce.py _V_*; a test checks them). "" is a clip of no sound.
Korean uses DPRK forms (렬차, not 열차; FACTS.md).
"""

NEXT_PRE = ("下一站", "다음역은", "The next stop is")
NEXT_POST = ("", "입니다", "")
ARR_PRE = ("即将到达", "곧", "We are arriving at")
ARR_POST = ("站", "에 도착합니다", "")
TRAIN_PRE = ("本车现为", "이 객차는 이제", "This coach is now train")
TRAIN_POST = ("次列车", "렬차입니다", "")
CLOCK_FWD = ("时钟拨快一小时", "시계를 한시간 앞당기십시오", "Clocks forward one hour")
CLOCK_BACK = ("时钟拨慢一小时", "시계를 한시간 늦추십시오", "Clocks back one hour")

ORDER = ("NEXT_PRE", "NEXT_POST", "ARR_PRE", "ARR_POST", "TRAIN_PRE", "TRAIN_POST", "CLOCK_FWD", "CLOCK_BACK")
