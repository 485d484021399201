"""Fixed passenger-display strings (human-edited): a tuple has one per language in route_data.LANGS order
(zh, ko, en), a str is the same in every language.

host_tools/build/route.py puts them into route_data's text table (T_<NAME>, in ORDER) and
host_tools/build/font.py takes their glyphs into the font: regenerate both (`make route`) after an edit.
Korean uses DPRK forms (렬차, not 열차; see ../shared/route/FACTS.md).
"""

NEXT = ("下一站", "다음역", "Next stop")
AT = ("本站", "이번역", "Now at")
TERMINUS = ("终点站", "종착역", "Terminus")
ARRIVING = ("到达", "도착", "Arrived")
NOW_TRAIN = ("现为", "이제", "Now")  # the coach's new number follows: 现为 52 次列车, 이제 52 렬차, Now train 52
TRAIN = ("次列车", "렬차", "train")  # follows the number in zh and ko, precedes it in en
ARROW = " → "
NO_TIME = "--:--"
UNKNOWN = "--"
# The doors/WC line (trainctl.sensors): DPRK 위생실 (toilet), 비였음 (DPRK spelling of "empty").
WC = ("厕所", "위생실", "WC")
WC_OCCUPIED = ("有人", "사용중", " occupied")  # follows the toilet's number: 1有人, 1 occupied
WC_FREE = ("无人", "비였음", " free")
WC_CLOSED = ("停用", "사용금지", " closed")
DOOR_OPEN = ("车门未关!", "문이 열렸음!", "Door open!")

ORDER = ("NEXT", "AT", "TERMINUS", "ARRIVING", "NOW_TRAIN", "TRAIN", "ARROW", "NO_TIME", "UNKNOWN", "WC",
         "WC_OCCUPIED", "WC_FREE", "WC_CLOSED", "DOOR_OPEN")
