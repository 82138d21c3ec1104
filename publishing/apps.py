from django.apps import AppConfig


class PublishingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads apps.py before models are ready. This is the
        # wiring between two subjects that must not import each other: the ftrack package opens
        # sessions for a portal user without reading credentials itself; the vault says how.
        from publishing.ftrack import sessions
        from publishing.vault.credentials import personal_identity

        sessions.set_personal_identity(personal_identity)
