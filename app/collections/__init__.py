"""Ordered collections (albums and portfolio galleries are one table seen through two routers)."""
