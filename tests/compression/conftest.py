import pytest

from app.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings (either store) with COMPRESS_AT_REST on."""
    return settings.model_copy(update={"compress_at_rest": True})
