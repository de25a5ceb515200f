from tests.files.conftest import count_rows

__all__ = ["count_rows"]
