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

# Start-up, before the first GPS time: instead of "--".
WAIT_GPS = ("等待GPS信号", "GPS신호 기다리는중", "Waiting for GPS")
# The clock-change alert: CLOCK_FWD + "1" + HOURS + FWD_END ("时钟拨快1小时", "시계 1시간 앞당김", "Clocks forward
# 1 h"), the same with BACK; MINUTES for a step that is not whole hours (UTC+8:30 in the DPRK, 2015-2018).
CLOCK_FWD = ("时钟拨快", "시계 ", "Clocks forward ")
CLOCK_BACK = ("时钟拨慢", "시계 ", "Clocks back ")
FWD_END = ("", " 앞당김", "")
BACK_END = ("", " 늦춤", "")
HOURS = ("小时", "시간", " h")
MINUTES = ("分钟", "분", " min")
# The border page, while the coach stands at the stations either side of the border (route_data.BORDER_ST).
BORDER_CONTROL = ("边防检查", "국경검사", "Border control")
STAY = ("请留在车厢内", "객차안에 계십시오", "Please stay in the coach")
DEPARTS = ("开车", "출발", "Departs")  # + the sourced departure time and zone: 开车 10:00 北京时间
SCHED_ARR = ("正点到达", "도착예정", "Arrives")  # + the destination, its sourced arrival time and zone

ORDER = ("NEXT", "AT", "TERMINUS", "ARRIVING", "NOW_TRAIN", "TRAIN", "ARROW", "NO_TIME", "UNKNOWN", "WC",
         "WC_OCCUPIED", "WC_FREE", "WC_CLOSED", "DOOR_OPEN", "WAIT_GPS", "CLOCK_FWD", "CLOCK_BACK", "FWD_END",
         "BACK_END", "HOURS", "MINUTES", "BORDER_CONTROL", "STAY", "DEPARTS", "SCHED_ARR")
