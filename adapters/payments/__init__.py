"""Payment providers: adapters of the core's ``PaymentGateway`` port."""

from adapters.payments.sandbox import SandboxPaymentGateway

__all__ = ["SandboxPaymentGateway"]
