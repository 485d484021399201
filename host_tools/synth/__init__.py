"""Seeded synthetic data with ground truth: GPS journeys (NMEA), door/beam/WC inputs."""
