package io.agentvisor.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.internal.CertUtils;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * fabric8 over the JDK HTTP client, trusting the API server as kubectl does. A kubeconfig that names the cluster's
 * certificate authority ({@code certificate-authority-data} or {@code certificate-authority}) is trusted with that
 * authority alone, as client-go does; fabric8 would read the JDK's whole default trust store (~150 authorities,
 * 40 ms of every call) and add the cluster's authority to it. Without one, with {@code insecure-skip-tls-verify},
 * or with a trust store configured for fabric8, fabric8 decides as before. Client certificates, proxies and
 * everything else are fabric8's.
 */
final class KubeconfigTrust extends JdkHttpClientFactory {
    @Override
    public HttpClient.Builder newBuilder(Config config) {
        if (config.isTrustCerts() || notEmpty(config.getTrustStoreFile())
                || !(notEmpty(config.getCaCertData()) || notEmpty(config.getCaCertFile()))) {
            return super.newBuilder(config);
        }
        TrustManager[] clusterAuthority = clusterAuthority(config);
        // fabric8 applies the rest of the kubeconfig; told to trust everything, it builds no trust store of its own,
        // and its trust is replaced before the client exists
        config.setTrustCerts(true);
        HttpClient.Builder builder;
        try {
            builder = super.newBuilder(config);
        } finally {
            config.setTrustCerts(false);
        }
        try {
            builder.sslContext(SSLUtils.keyManagers(config), clusterAuthority);
        } catch (Exception e) {
            throw KubernetesClientException.launderThrowable(e);
        }
        return builder;
    }

    /** Trust managers that accept exactly the certificates of the kubeconfig's certificate authority. */
    private static TrustManager[] clusterAuthority(Config config) {
        try (InputStream pem = CertUtils.getInputStreamFromDataOrFile(config.getCaCertData(), config.getCaCertFile())) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            int n = 0;
            while (pem.available() > 0) {
                Certificate c;
                try {
                    c = x509.generateCertificate(pem);
                } catch (CertificateException e) {
                    if (pem.available() > 0) {
                        throw e;
                    }
                    break; // trailing text after the last certificate, as fabric8 allows
                }
                store.setCertificateEntry("cluster-authority-" + n++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return tmf.getTrustManagers();
        } catch (Exception e) {
            throw KubernetesClientException.launderThrowable(e);
        }
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
