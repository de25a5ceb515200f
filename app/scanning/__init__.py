"""Malware scanning: ClamAV's clamd over INSTREAM (`clamd`), and what a verdict means (`policy`)."""
