"""What the host tools share: repository paths, the venv tool finder, one NMEA writer, time helpers, fakes."""
