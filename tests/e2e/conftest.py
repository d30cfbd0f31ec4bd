from tests.fakes.fixtures import fake_openai, fake_telegram, hermetic_settings

__all__ = ["fake_openai", "fake_telegram", "hermetic_settings"]
