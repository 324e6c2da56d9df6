"""The baseline guest (Linux straight on QEMU, no Tessera): the yardstick the other examples are
measured against, and the check that the guest kernel, the initramfs images and the example disk
work before any hypervisor is involved."""
import subprocess

from harness import build_path, mbr_partitions

NUMBERS = "".join(f"{i}\n" for i in range(1, 3001))  # what `seq 1 3000` writes


def read_fat_file(disk, partition_start, name):
    """A file's bytes read on the host, straight from the FAT filesystem at the given sector."""
    result = subprocess.run(["mtype", "-i", f"{disk}@@{partition_start * 512}", f"::{name}"],
                            capture_output=True, check=True)
    return result.stdout


def test_boots_to_login_and_sees_both_partitions(console):
    c = console("baseline")
    c.expect(r"baseline: /dev/vda1 mounted at /mnt \(vfat\)")
    c.login("baseline")
    partitions = c.run("cat /proc/partitions").split()
    assert "vda1" in partitions and "vda2" in partitions, partitions
    assert c.run("hostname") == "baseline"
    assert c.run("grep ' /mnt ' /proc/mounts").startswith("/dev/vda1 /mnt vfat rw")
    assert c.poweroff() == 0


def test_written_file_survives_poweroff_and_restart(console):
    c = console("baseline")
    disk = c.disk
    c.login("baseline")
    assert c.run("grep ' /mnt ' /proc/mounts").startswith("/dev/vda1 ")
    c.run("seq 1 3000 > /mnt/numbers.txt && md5sum /mnt/numbers.txt > /mnt/numbers.md5")
    c.run("sync")
    assert c.poweroff() == 0

    # The data is in the first partition of the disk image itself, byte for byte.
    partitions = mbr_partitions(disk)
    assert len(partitions) >= 2, partitions
    assert read_fat_file(disk, partitions[0][0], "numbers.txt").decode() == NUMBERS

    c = console("baseline", disk=disk)
    c.login("baseline")
    assert c.run("md5sum -c /mnt/numbers.md5") == "/mnt/numbers.txt: OK"
    assert c.run("wc -l < /mnt/numbers.txt") == "3000"
    assert c.run("tail -n 1 /mnt/numbers.txt") == "3000"
    assert c.poweroff() == 0


def test_client_image_takes_its_hostname_and_mounts_its_whole_disk(console, tmp_path):
    # A client sees its partition as a whole disk with no partition table: a bare FAT image.
    disk = tmp_path / "client.img"
    subprocess.run(["mkfs.fat", "-C", str(disk), "4096"], check=True, capture_output=True)
    (tmp_path / "hello.txt").write_text("from the host\n")
    subprocess.run(["mcopy", "-i", str(disk), str(tmp_path / "hello.txt"), "::hello.txt"], check=True)
    c = console("baseline", disk=disk, extra_args=[
        "-initrd", build_path("guest", "initramfs-client.cpio.gz"),
        "-append", "console=ttyAMA0 quiet tessera.hostname=client2"])
    c.expect(r"client: /dev/vda mounted at /mnt \(vfat\)")
    c.login("client2")
    assert c.run("cat /mnt/hello.txt") == "from the host"
    assert c.poweroff() == 0


def test_driver_image_outside_tessera_says_its_server_has_no_uio_device(console):
    """The driver VM's image booted straight on QEMU: its block server starts on the disk, finds
    no UIO device (only Tessera's driver VMM gives one) and says so; the guest still works."""
    c = console("baseline", extra_args=[
        "-initrd", build_path("guest", "initramfs-blkdriver.cpio.gz"), "-append", "console=ttyAMA0 quiet"])
    c.expect(r"blkdriver: block server started on /dev/vda")
    c.expect(r"blk-server: cannot open /dev/uio0: No such file or directory")
    c.login("blkdriver")
    assert c.run("ls /sys/class | grep -x uio") == "uio"
    assert c.poweroff() == 0
