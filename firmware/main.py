"""Boot: the board file builds the hardware (its buffers first), then the coach controller runs."""

import board  # boards/<board>/board.py, copied to the board as /board.py

hw = board.build()

from trainctl import route_data  # noqa: E402
from trainctl.app import App  # noqa: E402

app = App(route_data, hw)
print(app.report())
app.run()
