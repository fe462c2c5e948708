"""Generated protobuf/gRPC C++ code as one cc_library, built with Debian's protoc.

The counterpart of the jobcontrol_proto() calls in CMakeLists.txt: one genrule runs protoc
(and grpc_cpp_plugin for the protos that declare services) over every .proto, and one
cc_library compiles the result, so each generated file is compiled once and every layer
depends on the same library.

Generated files land at <bazel-bin>/<import path>, e.g. jobcontrol/v1/job.pb.h, which is on
the include path of every C++ compile; code includes them as "jobcontrol/v1/job.pb.h".
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_PROTOC = "@debian_protobuf//:protoc"
_GRPC_CPP_PLUGIN = "@debian_protobuf//:grpc_cpp_plugin"

def _import_path(proto, source_import_dir):
    """The path protoc knows a .proto by, e.g. "jobcontrol/v1/job.proto"."""
    if proto.startswith("@"):
        return proto.split("//:", 1)[1]
    if not proto.startswith(source_import_dir + "/"):
        fail("%s is not under %s/" % (proto, source_import_dir))
    return proto[len(source_import_dir) + 1:]

def _import_dir(proto, source_import_dir):
    if proto.startswith("@"):
        return "external/" + proto[1:].split("//", 1)[0]
    return source_import_dir

def _outputs(proto, source_import_dir, suffixes):
    stem = _import_path(proto, source_import_dir)[:-len(".proto")]
    return [stem + suffix for suffix in suffixes]

def generated_cc_proto_library(
        name,
        protos,
        grpc_protos,
        source_import_dir,
        deps = [],
        visibility = None):
    """Generates C++ for protos (messages only) and grpc_protos (messages and services).

    Args:
      name: name of the cc_library holding all generated code.
      protos: .proto files without services: files of this package under source_import_dir,
        or "@debian_protobuf//:<import path>" labels.
      grpc_protos: .proto files with services, same forms; these also get .grpc.pb.{h,cc}.
      source_import_dir: directory of this package that is the proto import root ("proto").
      deps: libraries the generated code links against (protobuf, gRPC).
      visibility: visibility of the cc_library.
    """
    all_protos = protos + grpc_protos
    import_dirs = []
    for proto in all_protos:
        import_dir = _import_dir(proto, source_import_dir)
        if import_dir not in import_dirs:
            import_dirs.append(import_dir)

    message_outs = []
    for proto in all_protos:
        message_outs += _outputs(proto, source_import_dir, [".pb.h", ".pb.cc"])
    service_outs = []
    for proto in grpc_protos:
        service_outs += _outputs(proto, source_import_dir, [".grpc.pb.h", ".grpc.pb.cc"])
    outs = message_outs + service_outs

    include_flags = " ".join(["-I" + d for d in import_dirs])
    cmd = " && ".join([
        "$(location {protoc}) {includes} --cpp_out=$(RULEDIR) {files}".format(
            protoc = _PROTOC,
            includes = include_flags,
            files = " ".join(["$(location %s)" % p for p in all_protos]),
        ),
        ("$(location {protoc}) {includes} --grpc_out=$(RULEDIR) " +
         "--plugin=protoc-gen-grpc=$(location {plugin}) {files}").format(
            protoc = _PROTOC,
            plugin = _GRPC_CPP_PLUGIN,
            includes = include_flags,
            files = " ".join(["$(location %s)" % p for p in grpc_protos]),
        ),
    ])

    native.genrule(
        name = name + "_generate",
        srcs = all_protos + ["@debian_protobuf//:well_known_protos"],
        outs = outs,
        tools = [_PROTOC, _GRPC_CPP_PLUGIN],
        cmd = cmd,
        message = "protoc: generating C++ for %d .proto files" % len(all_protos),
    )

    cc_library(
        name = name,
        srcs = [f for f in outs if f.endswith(".cc")],
        hdrs = [f for f in outs if f.endswith(".h")],
        deps = deps,
        visibility = visibility,
    )
