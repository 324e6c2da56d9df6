"""The baseline guest (Linux straight on QEMU): the yardstick the other examples are measured
against, and a check that the guest images and the disk image work."""
from harness import make_disk


def test_boots_logs_in_and_sees_both_partitions(console, tmp_path):
    disk = make_disk(tmp_path)
    c = console("baseline", disk=disk)
    c.login("baseline")
    partitions = c.run("cat /proc/partitions")
    assert "vda1" in partitions and "vda2" in partitions, partitions
    assert c.run("hostname") == "baseline"
    c.poweroff()


def test_written_file_survives_a_restart(console, tmp_path):
    disk = make_disk(tmp_path)
    c = console("baseline", disk=disk)
    c.login("baseline")
    c.run("mount -t vfat /dev/vda1 /mnt")
    c.run("seq 1 500 > /mnt/numbers.txt && md5sum /mnt/numbers.txt > /mnt/numbers.md5")
    c.run("sync && umount /mnt")
    c.poweroff()

    c = console("baseline", disk=disk)
    c.login("baseline")
    c.run("mount -t vfat /dev/vda1 /mnt")
    assert c.run("md5sum -c /mnt/numbers.md5") == "/mnt/numbers.txt: OK"
    assert c.run("tail -n 1 /mnt/numbers.txt") == "500"
    c.poweroff()
