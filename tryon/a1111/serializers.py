"""A1111's request and response bodies, with its field names and defaults.

Fields that change nothing here are accepted as A1111 clients send them (`webuiapi` sends them all);
fields for features this server does not have are refused when they would change the image
(enable_hr, restore_faces, tiling, subseeds, scripts), so nobody gets an image other than the one asked for.
"""

from rest_framework import serializers

MAX_STEPS = 150  # GenerationPlan's bound
MAX_BATCH_SIZE = 4  # prompts.plan.MAX_SAMPLES: images rendered together
MAX_N_ITER = 8  # batches, each its own job
CONTROL_MODES = {0: "Balanced", 1: "My prompt is more important", 2: "ControlNet is more important"}
MODULES = ("none", "openpose", "canny")


class _Unsupported:
    """Refuse a value other than the ones that leave the image as this server renders it."""

    def __init__(self, **harmless):
        self.harmless = harmless

    def validate(self, data: dict) -> None:
        errors = {}
        for name, allowed in self.harmless.items():
            if name in data and data[name] not in allowed:
                errors[name] = f"{data[name]!r} is not supported by this server (it renders with {allowed[0]!r})."
        if errors:
            raise serializers.ValidationError(errors)


UNSUPPORTED = _Unsupported(
    enable_hr=(False, None),
    restore_faces=(False, None),
    tiling=(False, None),
    subseed_strength=(0, 0.0, None),
    script_name=(None, ""),
    styles=([], None),
)


class ControlNetUnitInput(serializers.Serializer):
    image = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    input_image = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    mask = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    module = serializers.CharField(default="none")
    model = serializers.CharField(default="None", allow_blank=True, allow_null=True)
    weight = serializers.FloatField(default=1.0, min_value=0, max_value=2)
    guidance_start = serializers.FloatField(default=0.0, min_value=0, max_value=1)
    guidance_end = serializers.FloatField(default=1.0, min_value=0, max_value=1)
    control_mode = serializers.JSONField(default=0)
    resize_mode = serializers.JSONField(default="Crop and Resize")
    threshold_a = serializers.FloatField(default=100, min_value=0, max_value=255)
    threshold_b = serializers.FloatField(default=200, min_value=0, max_value=255)
    processor_res = serializers.IntegerField(default=512, required=False)
    pixel_perfect = serializers.BooleanField(default=False)
    low_vram = serializers.BooleanField(default=False)
    enabled = serializers.BooleanField(default=True)

    def validate_module(self, value: str) -> str:
        if value.lower() not in MODULES:
            raise serializers.ValidationError(f"{value!r} is not one of {', '.join(MODULES)}.")
        return value.lower()

    def validate_control_mode(self, value):
        if value in CONTROL_MODES or value in CONTROL_MODES.values():
            return value
        raise serializers.ValidationError(f"{value!r} is not one of 0, 1, 2 or {', '.join(CONTROL_MODES.values())}.")

    def validate(self, data):
        if data["guidance_start"] >= data["guidance_end"]:
            raise serializers.ValidationError({"guidance_start": "guidance_start must be below guidance_end."})
        return data


class _GenerationInput(serializers.Serializer):
    prompt = serializers.CharField(default="", allow_blank=True, trim_whitespace=False, max_length=10_000)
    negative_prompt = serializers.CharField(default="", allow_blank=True, trim_whitespace=False, max_length=10_000)
    seed = serializers.IntegerField(default=-1, min_value=-1, max_value=2**32 - 1, help_text="-1: a random seed")
    steps = serializers.IntegerField(default=20, min_value=1, max_value=MAX_STEPS)
    cfg_scale = serializers.FloatField(default=7.0, min_value=0, max_value=30)
    width = serializers.IntegerField(default=512, min_value=64)
    height = serializers.IntegerField(default=512, min_value=64)
    batch_size = serializers.IntegerField(default=1, min_value=1, max_value=MAX_BATCH_SIZE)
    n_iter = serializers.IntegerField(default=1, min_value=1, max_value=MAX_N_ITER)
    sampler_name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    sampler_index = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text="Deprecated")
    scheduler = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    override_settings = serializers.DictField(default=dict)
    alwayson_scripts = serializers.DictField(default=dict, help_text='{"ControlNet": {"args": [unit, ...]}}')
    enable_hr = serializers.BooleanField(default=False)
    restore_faces = serializers.BooleanField(default=False, allow_null=True)
    tiling = serializers.BooleanField(default=False, allow_null=True)
    subseed_strength = serializers.FloatField(default=0)
    script_name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    styles = serializers.ListField(child=serializers.CharField(), default=list, allow_null=True)

    def validate(self, data):
        UNSUPPORTED.validate(data)
        return data


class Txt2ImgInput(_GenerationInput):
    pass


class Img2ImgInput(_GenerationInput):
    init_images = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), min_length=1, max_length=1
    )
    mask = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    denoising_strength = serializers.FloatField(default=0.75, min_value=0, max_value=1)
    mask_blur = serializers.IntegerField(default=4, min_value=0, max_value=64)
    inpainting_mask_invert = serializers.IntegerField(default=0, min_value=0, max_value=1)
    inpainting_fill = serializers.IntegerField(default=0, min_value=0, max_value=3, help_text="Accepted, not used")
    inpaint_full_res = serializers.JSONField(default=True, help_text="Accepted, not used")
    inpaint_full_res_padding = serializers.IntegerField(default=0, min_value=0, help_text="Accepted, not used")
    resize_mode = serializers.IntegerField(default=0, min_value=0, max_value=3, help_text="Letterboxed")

    def validate_denoising_strength(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("Must be above 0: at 0 the image would come back unchanged.")
        return value


class GenerationOutput(serializers.Serializer):
    images = serializers.ListField(child=serializers.CharField(), help_text="Base64 PNGs, infotext in `parameters`")
    parameters = serializers.DictField(help_text="The request's fields, as A1111 echoes them")
    info = serializers.CharField(help_text="A JSON string: seeds, sizes, sampler and each image's infotext")


class OptionsInput(serializers.Serializer):
    sd_model_checkpoint = serializers.CharField(required=False)


class ProgressOutput(serializers.Serializer):
    progress = serializers.FloatField()
    eta_relative = serializers.FloatField()
    state = serializers.DictField()
    current_image = serializers.CharField(allow_null=True)
    textinfo = serializers.CharField(allow_null=True)
