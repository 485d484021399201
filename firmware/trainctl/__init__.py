"""trainctl: pure logic of the Beijing–Pyongyang coach controller (no hardware imports)."""

VERSION = "0.1.0"
