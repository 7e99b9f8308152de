"""Payment providers: adapters of the core's ``PaymentGateway`` port, found by name through entry points."""

from adapters.payments.registry import ProviderContext, UnknownProvider, known_providers, load_provider
from adapters.payments.sandbox import SandboxPaymentGateway

__all__ = ["ProviderContext", "SandboxPaymentGateway", "UnknownProvider", "known_providers", "load_provider"]
