"""JSON API of the portal (Django REST framework)."""
