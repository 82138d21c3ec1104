"""Home: send each role where its work is."""

from __future__ import annotations

from django.shortcuts import redirect

from publishing.core.access import portal_member_required
from publishing.core.roles import in_producer_group


@portal_member_required
def home(request):
    if in_producer_group(request.user):
        return redirect("publishing:upload")
    return redirect("publishing:batches")
