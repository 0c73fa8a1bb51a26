"""Settings: types checked, invalid values reported and skipped, the merge order kept."""

from __future__ import annotations

from renga.config import Settings, from_env, merge, to_wire


def test_editor_settings_override_environment_which_overrides_defaults() -> None:
    env_settings, errors = from_env({"RENGA_FAST_MODEL": "env-model", "RENGA_DEBOUNCE_MS": "40"})
    assert errors == []
    assert (env_settings.models.fast, env_settings.completion.debounce_ms) == ("env-model", 40)
    merged, errors = merge(env_settings, {"models": {"fast": "editor-model"}})
    assert errors == []
    assert merged.models.fast == "editor-model"
    assert merged.completion.debounce_ms == 40  # untouched keys keep the lower layer's value


def test_invalid_values_are_reported_once_each_and_keep_the_previous_value() -> None:
    base = Settings()
    merged, errors = merge(
        base,
        {
            "provider": "openai",
            "completion": {"debounceMs": "fast", "maxTokens": 0, "enabled": "yes please"},
            "privacy": {"exclude": "*.pem"},  # a string is accepted as a comma list
            "colour": "blue",
            "context": 5,
        },
    )
    assert merged.provider == "anthropic"
    assert merged.completion == base.completion
    assert merged.privacy.exclude == ["*.pem"]
    assert errors == [
        "provider must be one of anthropic, bedrock, vertex, not 'openai'",
        "completion.debounceMs must be a number, not 'fast'",
        "completion.maxTokens must be at least 1, not 0",
        "completion.enabled must be true or false, not 'yes please'",
        "unknown setting colour",
        "context must be an object, not 5",
    ]


def test_non_object_settings_are_refused_without_crashing() -> None:
    merged, errors = merge(Settings(), ["not", "an", "object"])  # type: ignore[arg-type]
    assert merged == Settings()
    assert errors and "must be an object" in errors[0]


def test_environment_errors_name_the_variable() -> None:
    _, errors = from_env({"RENGA_PROVIDER": "nope"})
    assert errors == [
        "RENGA_PROVIDER: provider must be one of anthropic, bedrock, vertex, not 'nope'"
    ]


def test_wire_form_is_camel_case_and_round_trips() -> None:
    wire = to_wire(Settings())
    assert wire["completion"]["debounceMs"] == 75
    merged, errors = merge(Settings(), wire)
    assert (merged, errors) == (Settings(), [])
