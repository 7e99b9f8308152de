from decimal import Decimal

import pytest

from adapters.security.passwords import default_concurrency
from bootstrap import ConfigurationError, Settings, build_container


def test_defaults_are_the_embedded_development_setup() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///./airbnb.db"
    assert settings.redis_url is None
    assert settings.payment_provider == "sandbox"
    assert (settings.login_rate_limit, settings.api_rate_limit, settings.booking_hold_minutes) == (10, 600, 15)
    assert settings.service_fee_rate == Decimal("0.10")
    assert settings.ephemeral_jwt_secret and len(settings.jwt_secret) >= 32
    assert Settings.from_env({}).jwt_secret != settings.jwt_secret


def test_production_refuses_a_missing_or_short_jwt_secret() -> None:
    with pytest.raises(ConfigurationError, match="AIRBNB_JWT_SECRET"):
        Settings.from_env({"AIRBNB_ENV": "production"})
    with pytest.raises(ConfigurationError, match="AIRBNB_JWT_SECRET"):
        Settings.from_env({"AIRBNB_ENV": "production", "AIRBNB_JWT_SECRET": "short"})
    settings = Settings.from_env({"AIRBNB_ENV": "production", "AIRBNB_JWT_SECRET": "x" * 32})
    assert settings.production and not settings.ephemeral_jwt_secret


@pytest.mark.parametrize(
    "env",
    [
        {"AIRBNB_API_RATE_LIMIT": "lots"},
        {"AIRBNB_LOGIN_RATE_LIMIT": "0"},
        {"AIRBNB_SERVICE_FEE_RATE": "ten percent"},
        {"AIRBNB_SERVICE_FEE_RATE": "1.5"},
        {"AIRBNB_ENV": "staging"},
        {"AIRBNB_PASSWORD_HASH_CONCURRENCY": "0"},
    ],
)
def test_nonsense_configuration_is_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="AIRBNB_"):
        Settings.from_env(env)


def test_password_hashes_run_as_many_at_once_as_configured_or_one_per_cpu() -> None:
    configured = build_container(Settings.from_env({"AIRBNB_PASSWORD_HASH_CONCURRENCY": "3"})).password_hasher()
    default = build_container(Settings.from_env({})).password_hasher()
    assert (configured.max_concurrent, default.max_concurrent) == (3, default_concurrency())
