"""Residents' pages (/public/): no login. What 003 四 requires to be public about each active
community (DISC-1(1)): its residents' committee members and positions, office phone, office
hours and address. Disclosure items will be listed here once the disclosure register exists."""

from django.shortcuts import render

from communities.selectors import public_community_get, public_street_list


def index(request):
    return render(request, "public/index.html", {"streets": public_street_list()})


def community(request, pk):
    obj = public_community_get(pk=pk)
    return render(request, "public/community.html", {"community": obj})
