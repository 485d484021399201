"""The operator's tools for a real board over USB: deploy, crew service, journey-log download."""
