"""LLM providers behind one interface, and the choice of one for a catalogue model."""

from __future__ import annotations

from config import Settings
from models import LLMModel
from services.errors import ProviderError
from services.llm.base import Completion, OnText, Provider
from services.llm.echo import ECHO_MODEL, ECHO_PROVIDER, EchoProvider
from services.llm.openai import OPENAI_PROVIDER, OpenAIProvider

__all__ = [
    "ECHO_MODEL",
    "ECHO_PROVIDER",
    "OPENAI_PROVIDER",
    "Completion",
    "OnText",
    "Provider",
    "Providers",
]


class Providers:
    """The providers one process uses, built once from its settings and closed at exit."""

    def __init__(self, settings: Settings) -> None:
        self.echo = EchoProvider()
        self.remote_model = settings.openai_model
        self.remote: Provider | None = None
        if settings.openai_api_key is not None or settings.openai_base_url:
            self.remote = OpenAIProvider(
                api_key=settings.openai_api_key,
                base_url=settings.openai_base_url,
                timeout_s=settings.llm_timeout_s,
                max_retries=settings.llm_max_retries,
            )

    def can_serve(self, model: LLMModel) -> bool:
        """Whether a catalogue model can be asked with the settings in force."""
        return model.provider == ECHO_PROVIDER or self.remote is not None

    def for_model(self, model: LLMModel) -> Provider:
        """The provider that answers for ``model``.

        Raises:
            ProviderError: The model needs a provider that is not configured.
        """
        if model.provider == ECHO_PROVIDER:
            return self.echo
        # TODO: one endpoint serves every remote model, whatever its catalogue provider;
        # route per provider once the settings can name more than one endpoint.
        if self.remote is None:
            raise ProviderError(
                "unconfigured", f"No provider is configured for {model}. Choose echo with /model."
            )
        return self.remote

    async def aclose(self) -> None:
        """Close the remote provider's connections."""
        if self.remote is not None:
            await self.remote.aclose()
