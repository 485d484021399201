"""Build steps: generated firmware modules (route, font, pivot), package.json, ROMFS image, name counts."""
