// Unit checks of the VM fixture's pure parts: guest URLs, the boot timeline's order.
#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fixtures/vm/builder_vm.hpp"
#include "fixtures/vm/local_builder_setup.hpp"

namespace {
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(GuestUrl, LoopbackBecomesTheQemuHostAddress) {
  EXPECT_EQ(bnet::guestUrlOf("http://127.0.0.1:8545"), "http://10.0.2.2:8545");
  EXPECT_EQ(bnet::guestUrlOf("http://localhost:3500/eth/v1"), "http://10.0.2.2:3500/eth/v1");
  EXPECT_EQ(bnet::guestUrlOf("https://127.0.0.1"), "https://10.0.2.2");
}

TEST(GuestUrl, RefusesOtherHosts) {
  EXPECT_THROW(bnet::guestUrlOf("http://10.1.2.3:80"), std::invalid_argument);
  EXPECT_THROW(bnet::guestUrlOf("not a url"), std::invalid_argument);
}

TEST(BootTimeline, StartOrderSortsStartedUnitsByStart) {
  bnet::BootTimeline timeline;
  timeline.steps = {{.unit = "b", .started_s = 2.0}, {.unit = "a", .started_s = 1.0},
                    {.unit = "never"}, {.unit = "c", .started_s = 3.5}};
  EXPECT_THAT(timeline.startOrder(), ElementsAre("a", "b", "c"));
  ASSERT_NE(timeline.find("never"), nullptr);
  EXPECT_FALSE(timeline.find("never")->started_s.has_value());
  EXPECT_EQ(timeline.find("missing"), nullptr);
  EXPECT_EQ(timeline.toJson().size(), 4u);
}

TEST(BuilderVmConfig, DefaultBootUnitsAreTheRealOrder) {
  EXPECT_THAT(bnet::defaultBootUnits(),
              ElementsAre("attested-tls-proxy-client", "render-config", "hostname-set", "persistent-setup",
                          "haproxy", "flowproxy", "config-watchdog", "rbuilder-operator"));
}

TEST(BuilderVm, TwinWithoutGatewayPortIsRefusedWithTheFix) {
  bnet::BuilderVmConfig config;
  config.require_payload = false;
  if (auto why = bnet::BuilderVm::unavailableReason(config)) GTEST_SKIP() << *why;
  try {
    bnet::BuilderVm::start(config);
    ADD_FAILURE() << "start() accepted a twin VM without a gateway port";
  } catch (const bnet::BuilderVmError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("startGateway"));
  }
}

TEST(BuilderVm, ImageModeWithoutAnImageIsUnavailable) {
  bnet::BuilderVmConfig config{.mode = bnet::VmMode::kImage};
  auto why = bnet::BuilderVm::unavailableReason(config);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, ::testing::HasSubstr("vm.image"));
  EXPECT_THROW(bnet::BuilderVm::start(config), bnet::BuilderVmUnavailable);
}

std::string joined(const std::vector<std::string>& args) {
  std::string text;
  for (const auto& a : args) text += a + " ";
  return text;
}

e2e::QemuRuntime runtimeFor(const e2e::QemuMachineConfig& qemu) {
  e2e::QemuRuntime runtime{.overlay = "/tmp/overlay.qcow2", .console_log = "/tmp/console.log",
                           .qmp_socket = "/tmp/qmp.sock", .firmware_vars = "/tmp/vars.fd",
                           .accel = qemu.accel == e2e::QemuAccel::kKvm ? e2e::QemuAccel::kKvm : e2e::QemuAccel::kTcg};
  std::uint16_t port = 20000;
  for (const auto& f : qemu.port_forwards) runtime.host_ports[f.guest_port] = port++;
  return runtime;
}

TEST(BuilderQemuConfig, TwinHasTheDataDiskBySerialThePayloadReadOnlyAndTheGatewayInFwCfg) {
  bnet::BuilderVmConfig config{.name = "b1"};
  bnet::BuilderVmFiles files{.artifact_dir = "/a", .data_disk = "/a/persistent.raw", .kernel = "/t/vmlinuz",
                             .initrd = "/t/initrd.img", .cmdline = "console=ttyS0,115200n8 root=LABEL=twin-root rw",
                             .rootfs = "/t/rootfs.qcow2", .payload_disk = "/c/p.ext4",
                             .ssh_public_key = "/k/id.pub", .gateway_file = "/a/hub-gateway"};
  auto qemu = bnet::makeBuilderQemuConfig(config, files);
  const std::string args = joined(e2e::makeQemuArgs(qemu, runtimeFor(qemu)));
  EXPECT_THAT(args, HasSubstr("-kernel /t/vmlinuz"));
  EXPECT_THAT(args, HasSubstr("file=/a/persistent.raw"));
  EXPECT_THAT(args, HasSubstr("virtio-blk-pci,drive=persistent,serial=persistent"));
  EXPECT_THAT(args, HasSubstr("serial=bnet-payload"));
  EXPECT_THAT(args, HasSubstr("readonly=on"));
  EXPECT_THAT(args, HasSubstr("name=opt/e2e/files/etc/twin/hub-gateway,file=/a/hub-gateway"));
  EXPECT_THAT(args, HasSubstr("name=opt/e2e/ssh_authorized_keys,file=/k/id.pub"));
  for (int guest : {40192, 3535, 8645, 80, 443}) {
    EXPECT_THAT(args, HasSubstr(fmt::format("-:{}", guest))) << guest;
  }
  EXPECT_THAT(args, Not(HasSubstr("nvme")));
}

TEST(BuilderQemuConfig, RestoredTwinOverlaysTheSnapshotsDisksAndLoadsItsState) {
  bnet::BuilderVmConfig config{.name = "copy",
                               .data_disk_format = "qcow2",
                               .os_disk = "/snap/os.qcow2",
                               .incoming_state = "/snap/memory.state"};
  bnet::BuilderVmFiles files{.artifact_dir = "/a", .data_disk = "/a/persistent.qcow2", .kernel = "/t/vmlinuz",
                             .initrd = "/t/initrd.img", .cmdline = "console=ttyS0", .rootfs = "/t/rootfs.qcow2",
                             .ssh_public_key = "/k/id.pub", .gateway_file = "/a/hub-gateway"};
  auto qemu = bnet::makeBuilderQemuConfig(config, files);
  EXPECT_EQ(qemu.base_image, "/snap/os.qcow2");
  EXPECT_EQ(qemu.base_format, "qcow2");
  EXPECT_FALSE(qemu.keep_overlay);
  EXPECT_EQ(qemu.incoming_state, "/snap/memory.state");
  const std::string args = joined(e2e::makeQemuArgs(qemu, runtimeFor(qemu)));
  EXPECT_THAT(args, HasSubstr("id=persistent,format=qcow2,cache=unsafe,file=/a/persistent.qcow2"));
  EXPECT_THAT(args, HasSubstr("-incoming exec:cat '/snap/memory.state'"));

  // The template keeps its overlay where VmSnapshot put it.
  bnet::BuilderVmConfig template_config{.name = "template", .os_overlay = "/snap/os.qcow2"};
  auto template_qemu = bnet::makeBuilderQemuConfig(template_config, files);
  EXPECT_EQ(template_qemu.base_image, "/t/rootfs.qcow2");
  EXPECT_EQ(template_qemu.overlay_path, "/snap/os.qcow2");
  EXPECT_TRUE(template_qemu.keep_overlay);
}

TEST(BuilderQemuConfig, ImageIsWiredAsBuilderPlaygroundStartsIt) {
  bnet::BuilderVmConfig config{.mode = bnet::VmMode::kImage, .name = "real", .memory_mib = 8192,
                               .image = "/img/buildernet-qemu_2.3.1.qcow2"};
  bnet::BuilderVmFiles files{.artifact_dir = "/a", .data_disk = "/a/persistent.raw"};
  auto qemu = bnet::makeBuilderQemuConfig(config, files);
  EXPECT_EQ(qemu.accel, e2e::QemuAccel::kKvm);
  const std::string args = joined(e2e::makeQemuArgs(qemu, runtimeFor(qemu)));
  EXPECT_THAT(args, HasSubstr("-accel kvm -cpu host"));
  EXPECT_THAT(args, HasSubstr("if=pflash"));
  EXPECT_THAT(args, HasSubstr("nvme,drive=osdisk,serial=nvme-os"));
  EXPECT_THAT(args, HasSubstr("nvme,id=nvme0,serial=nvme-data"));
  EXPECT_THAT(args, HasSubstr("nvme-ns,drive=datadisk,bus=nvme0,nsid=12"));
  EXPECT_THAT(args, HasSubstr("hostfwd=tcp:127.0.0.1:20000-:40192"));
  EXPECT_THAT(args, HasSubstr("-m 8192"));
  EXPECT_THROW(bnet::makeBuilderQemuConfig({.mode = bnet::VmMode::kAttach}, files), std::logic_error);
}

}  // namespace
