package vnsearch.opensearch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * One OpenSearch node in this JVM, for vnsearch's tests and benchmarks, started by
 * tests/opensearch_cluster.py.
 *
 * <p>It runs codelibs' OpenSearchRunner with one node and the few OpenSearch modules a vnsearch
 * index needs as classpath plugins (Netty4 HTTP, common analysis, painless, mapper extras),
 * bound to 127.0.0.1 only. Without
 * {@code --seeds} it is a single-node cluster ({@code discovery.type=single-node}); with them
 * it joins the nodes listed there and, on first start, elects a cluster manager among
 * {@code --managers}. It prints one line {@code VNSEARCH-NODE-STARTED http=PORT} once it is
 * started, and closes the node on SIGTERM.
 *
 * <pre>
 * java -Xms256m -Xmx512m -jar target/vnsearch-opensearch-node.jar \
 *     --home DIR --http-port 9250 --transport-port 9350 [--name n1] [--cluster NAME] \
 *     [--seeds 127.0.0.1:9351,127.0.0.1:9352 --managers n1,n2,n3] [-Ekey=value ...]
 * </pre>
 */
public final class TestNode {

    /** The modules loaded (the pom brings exactly these). */
    static final String MODULES = String.join(",",
            "org.opensearch.transport.Netty4Plugin",
            "org.opensearch.analysis.common.CommonAnalysisPlugin",
            "org.opensearch.painless.PainlessPlugin",
            "org.opensearch.index.mapper.MapperExtrasPlugin");

    private TestNode() {
    }

    public static void main(final String[] args) {
        final Map<String, String> options = new LinkedHashMap<>();
        final Map<String, String> extra = new LinkedHashMap<>();
        try {
            parse(args, options, extra);
        } catch (final IllegalArgumentException e) {
            System.err.println("vnsearch-opensearch-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        final String home = require(options, "home");
        final String httpPort = require(options, "http-port");
        final String transportPort = require(options, "transport-port");
        final String name = options.getOrDefault("name", "node-" + httpPort);
        final String cluster = options.getOrDefault("cluster", "vnsearch-test");
        final String seeds = options.get("seeds");
        final String managers = options.getOrDefault("managers", name);

        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // never probe 92xx ports: ours are given
        runner.onBuild((number, settings) -> {
            settings.put("node.name", name);
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", httpPort);
            settings.put("transport.port", transportPort);
            if (seeds == null || seeds.isEmpty()) {
                settings.put("discovery.type", "single-node");
            } else {
                settings.putList("discovery.seed_hosts", seeds.split(","));
                settings.putList("cluster.initial_cluster_manager_nodes", managers.split(","));
            }
            // A test machine's disk may be nearly full: never refuse shards for that.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            // Indexes are created explicitly, with their mapping.
            settings.put("action.auto_create_index", "false");
            settings.put("bootstrap.memory_lock", "false");
            // Small thread pools: the machine is shared.
            settings.put("node.processors", options.getOrDefault("processors", "2"));
            for (final Map.Entry<String, String> e : extra.entrySet()) {
                settings.put(e.getKey(), e.getValue());
            }
        });

        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("vnsearch-opensearch-node: close failed: " + e);
            }
            closed.countDown();
        }, "vnsearch-node-close"));

        try {
            runner.build(OpenSearchRunner.newConfigs()
                    .basePath(home)
                    .numOfNode(1)
                    .clusterName(cluster)
                    .moduleTypes(MODULES)
                    .baseHttpPort(Integer.parseInt(httpPort) - 1)
                    .build());
        } catch (final Throwable e) {
            System.err.println("vnsearch-opensearch-node: the node did not start: " + rootCause(e));
            e.printStackTrace();
            Runtime.getRuntime().halt(1);
        }
        System.out.println("VNSEARCH-NODE-STARTED http=" + httpPort + " name=" + name);
        System.out.flush();
        try {
            closed.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String rootCause(final Throwable e) {
        Throwable t = e;
        final List<String> messages = new ArrayList<>();
        while (t != null) {
            messages.add(t.getClass().getSimpleName() + ": " + t.getMessage());
            t = t.getCause();
        }
        return String.join(" <- ", messages);
    }

    private static String require(final Map<String, String> options, final String key) {
        final String value = options.get(key);
        if (value == null || value.isEmpty()) {
            System.err.println("vnsearch-opensearch-node: --" + key + " is required");
            System.exit(2);
        }
        return value;
    }

    private static void parse(final String[] args, final Map<String, String> options,
            final Map<String, String> extra) {
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.startsWith("-E")) {
                final int eq = arg.indexOf('=');
                if (eq < 3) {
                    throw new IllegalArgumentException("expected -Ekey=value, got " + arg);
                }
                extra.put(arg.substring(2, eq), arg.substring(eq + 1));
            } else if (arg.startsWith("--")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                options.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
    }
}
