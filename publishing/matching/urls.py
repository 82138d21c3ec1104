"""Routes of the naming-rules page (names in the ``publishing`` namespace, like notify's)."""

from django.urls import path

from publishing.matching import views

urlpatterns = [
    path("admin-tools/naming-rules/", views.naming_rules, name="naming_rules"),
    path("admin-tools/naming-rules/<int:pk>/delete/", views.naming_rule_delete, name="naming_rule_delete"),
]
