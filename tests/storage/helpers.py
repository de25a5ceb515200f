"""The S3 server the tests start: the bench's (bench/s3.py), so both run the same moto server."""

from bench.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server, s3_server

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "S3Server", "s3_server"]
