"""Server-rendered forms (the publish form itself is JSON, see publishing/web/upload.py)."""

from __future__ import annotations

from django import forms


class CredentialForm(forms.Form):
    api_user = forms.CharField(
        label="ftrack username",
        max_length=255,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
        help_text="The username you log in to ftrack with.",
    )
    # render_value=False: the key is never echoed back into the page, not even after an error.
    api_key = forms.CharField(
        label="ftrack API key",
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text="In ftrack: My Account → Security settings → Personal API key.",
    )

    def clean_api_user(self) -> str:
        return self.cleaned_data["api_user"].strip()
