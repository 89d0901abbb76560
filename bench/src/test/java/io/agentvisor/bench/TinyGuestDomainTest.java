package io.agentvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class TinyGuestDomainTest {
    /** A name and a directory with characters that shell and regex substitution treat specially. */
    static final String NAME = "avbench-&1";
    static final Path DIR = Path.of("/tmp/av b&\\1/lv");

    @Test
    void theP2HarnessRendersTheTemplateIntoTheGuestsDomain() throws Exception {
        String xml = P2Timeouts.Libvirt.tinyGuestDomain("avbench-42", Path.of("/tmp/avsb.x/lv"));
        assertFalse(xml.contains("@"), xml);
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        var x = XPathFactory.newInstance().newXPath();
        assertEquals("avbench-42", x.evaluate("/domain/name", d));
        assertEquals("/tmp/avsb.x/lv/vmlinuz", x.evaluate("/domain/os/kernel", d));
        assertEquals("/tmp/avsb.x/lv/initramfs.cpio.gz", x.evaluate("/domain/os/initrd", d));
        assertEquals("/tmp/avsb.x/lv/qga.sock", x.evaluate("/domain/devices/channel/source/@path", d));
        assertEquals("org.qemu.guest_agent.0", x.evaluate("/domain/devices/channel/target/@name", d));
        assertEquals("/tmp/avsb.x/lv/console.log", x.evaluate("/domain/devices/serial/source/@path", d));
    }

    @Test
    void theCliBenchRendersTheSameDomainAsTheP2Harness() throws Exception {
        Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Process p = new ProcessBuilder("bash", "-c", ". ./libvirt.sh && lv_domain_xml \"$1\" \"$2\"", "bash",
                NAME, DIR.toString()).directory(module.toFile()).redirectErrorStream(true).start();
        String shell = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), shell);
        assertEquals(P2Timeouts.Libvirt.tinyGuestDomain(NAME, DIR), shell);
    }
}
