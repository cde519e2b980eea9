from django.urls import path

from tryon.shop import views, your_model

app_name = "shop"
urlpatterns = [
    path("", views.home, name="home"),
    path("shop/<slug:merchant_slug>/", views.catalog, name="catalog"),
    path("shop/<slug:merchant_slug>/items/<int:item_id>/", views.product, name="product"),
    path("shop/<slug:merchant_slug>/tryons/<int:job_id>/", views.tryon, name="tryon"),
    path("shop/<slug:merchant_slug>/tryons/<int:job_id>/status", views.tryon_status, name="tryon-status"),
    path("shop/<slug:merchant_slug>/your-model/", your_model.your_model, name="your-model"),
    path("shop/<slug:merchant_slug>/your-model/photo", your_model.your_photo, name="your-photo"),
    path("shop/<slug:merchant_slug>/poses/<int:pose_id>/skeleton.png", views.pose_skeleton, name="pose-skeleton"),
]
