"""Finance pages of the worker portal, under /portal/finance/ (namespace "finance")."""

from django.urls import path

from finance import book_views, register_views, views

app_name = "finance"
urlpatterns = [
    path("", views.home, name="home"),
    path("claims/", views.my_claims, name="my_claims"),
    path("claims/new/", views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", views.claim, name="claim"),
    path("claims/<int:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="claim_decide"),
    path("claims/<int:pk>/collective/", views.claim_collective, name="claim_collective"),
    path("claims/<int:pk>/pay/", views.claim_pay, name="claim_pay"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("inbox/", views.inbox, name="inbox"),
    path("payments/", views.payments, name="payments"),
    path("books/", book_views.books_index, name="books_index"),
    path("books/<int:pk>/", book_views.books, name="books"),
    path("books/<int:pk>/cash-move/", book_views.cash_move, name="books_cash_move"),
    path("books/<int:pk>/reconcile/", book_views.reconcile, name="books_reconcile"),
    path("receipts/", register_views.receipts, name="receipts"),
    path("receipts/export/", register_views.receipts_export, name="receipts_export"),
    path("receipts/<int:pk>/", register_views.receipt_batch, name="receipt_batch"),
    path("receipts/<int:pk>/issue/", register_views.receipt_issue, name="receipt_issue"),
    path("receipts/<int:pk>/void/", register_views.receipt_void, name="receipt_void"),
    path("receipts/<int:pk>/hand-in/", register_views.receipt_hand_in, name="receipt_hand_in"),
]
