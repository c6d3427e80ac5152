/*
 * test_cluster_renew.c - cluster mode's producer renewal (daemon/cluster/txn.c, committer.c,
 * publish.c publisher_renew) on librdkafka's mock cluster: a transaction whose EndTxn, or
 * whose AddPartitionsToTxn, the coordinator answers PRODUCER_FENCED (what an instance gets
 * when its transaction outlived transaction.timeout.ms during a broker failover) makes a new
 * producer with the same transactional.id instead of ending the process; the transaction
 * counts as aborted, and the articles it held are sent again and committed by the new one.
 *
 * When the new producers' init_transactions fail too, the process gives up after
 * RENEW_ATTEMPTS (txn.c) of them in a row: it exits (cluster.transaction_fatal, status 1),
 * tested in a child process.
 *
 * The reference is the plain ledger of txn_ledger.h: every article must be credited exactly
 * once, none by the fenced transaction, and each reported a single time per send.
 */
#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "txn_ledger.h"
#include "cluster/cluster_internal.h"
#include "config.h"
#include "publish.h"
#include "util.h"

#define ARTICLES	24
#define TOPIC		"renew-articles"
#define API_INIT_PRODUCER_ID		22	/* Kafka API keys (librdkafka: RD_KAFKAP_*) */
#define API_ADD_PARTITIONS_TO_TXN	24
#define API_END_TXN			26

struct fixture {
	struct config		*config;
	struct event_base	*base;
	rd_kafka_t		*mock_handle;
	rd_kafka_mock_cluster_t	*mock;
	struct publisher	*publisher;
	struct cluster		 cluster;
	struct ledger		 ledger;
	char			 first_producer[128];	/* rd_kafka_name() of the one opened */
	char			 state_dir[64];
};

static rd_kafka_t *
group_consumer(const char *bootstrap)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char error[256];

	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, error, sizeof error);
	rd_kafka_conf_set(conf, "group.id", "renew-test", error, sizeof error);
	return rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
}

static int
fixture_open(struct fixture *fixture)
{
	struct cluster *cluster = &fixture->cluster;
	char error[512] = "";
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	memset(fixture, 0, sizeof *fixture);
	ledger_init(&fixture->ledger, TOPIC, ARTICLES, "article");
	snprintf(fixture->state_dir, sizeof fixture->state_dir, "/tmp/wiresift-renew-XXXXXX");
	if (mkdtemp(fixture->state_dir) == NULL)
		return -1;
	fixture->mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
	fixture->mock = rd_kafka_mock_cluster_new(fixture->mock_handle, 3);
	rd_kafka_mock_topic_create(fixture->mock, TOPIC, 2, 3);
	fixture->config = config_defaults();
	free(fixture->config->bootstrap_servers);
	fixture->config->bootstrap_servers = xstrdup(rd_kafka_mock_cluster_bootstraps(
	    fixture->mock));
	free(fixture->config->state_dir);
	fixture->config->state_dir = xstrdup(fixture->state_dir);
	fixture->config->cluster.group = xstrdup("renew-test");
	fixture->base = event_base_new();
	if (ledger_open(&fixture->ledger, fixture->config, fixture->base, cluster) < 0)
		return -1;
	fixture->publisher = fixture->ledger.publisher;
	cluster->group = group_consumer(fixture->config->bootstrap_servers);
	cluster->status.generation = -1;
	if (txn_init(cluster, fixture->base, error, sizeof error) < 0) {
		fprintf(stderr, "txn_init: %s\n", error);
		return -1;
	}
	snprintf(fixture->first_producer, sizeof fixture->first_producer, "%s",
	    rd_kafka_name(cluster->producer));
	return 0;
}

static void
fixture_close(struct fixture *fixture)
{
	struct cluster *cluster = &fixture->cluster;
	char path[128];

	txn_settle(cluster);
	txn_close(cluster);
	rd_kafka_destroy(cluster->group);
	ledger_close(&fixture->ledger);
	rd_kafka_mock_cluster_destroy(fixture->mock);
	rd_kafka_destroy(fixture->mock_handle);
	event_base_free(fixture->base);
	config_free(fixture->config);
	snprintf(path, sizeof path, "%s", fixture->state_dir);
	rmdir(path);
}

/* What every run must end with: each article credited once, reported once per send. */
static void
check_ledger(const struct fixture *fixture)
{
	for (int i = 0; i < ARTICLES; i++) {
		const struct ledger_entry *article = &fixture->ledger.articles[i];
		CHECK(article->credited == 1);
		CHECK(article->reports == article->sends || (article->sends > article->reports &&
		    article->pending == 0));
		CHECK(article->held == 0);
	}
	CHECK(publisher_outstanding(fixture->publisher) == 0);
}

/*
 * The commit's EndTxn answered PRODUCER_FENCED (the coordinator aborted the transaction and
 * bumped the epoch): renewed, the transaction counted aborted, its articles sent again.
 */
static void
test_a_fenced_commit_renews_the_producer(void)
{
	struct fixture fixture;

	if (fixture_open(&fixture) < 0) {
		CHECK(!"the mock cluster's transactional producer opens");
		return;
	}
	ledger_send_all(&fixture.ledger);
	for (int i = 0; i < 100 && publisher_unreported(fixture.publisher) > 0; i++)
		ledger_run_for(&fixture.ledger, 20);
	rd_kafka_mock_push_request_errors(fixture.mock, API_END_TXN, 1,
	    RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
	txn_tick(&fixture.cluster, 1);
	for (int i = 0; i < 1000 && fixture.ledger.ends == 0; i++)
		ledger_run_for(&fixture.ledger, 20);
	CHECK(fixture.ledger.ends > 0 && fixture.ledger.outcome[0] == 0);	/* the fenced one: aborted */
	for (int i = 0; i < ARTICLES; i++)
		CHECK(fixture.ledger.articles[i].credited == 0);
	/* a new one */
	CHECK(strcmp(rd_kafka_name(fixture.cluster.producer), fixture.first_producer) != 0);
	CHECK(fixture.cluster.producer == publisher_kafka(fixture.publisher));
	ledger_run_until_credited(&fixture.ledger);
	check_ledger(&fixture);
	CHECK(fixture.cluster.status.producer_renewals == 1);
	CHECK(fixture.cluster.status.aborts == 1);
	CHECK(fixture.cluster.status.commits >= 1);
	CHECK(fixture.ledger.aborts == 1);
	fixture_close(&fixture);
}

/*
 * AddPartitionsToTxn answered PRODUCER_FENCED while the transaction is open: librdkafka's
 * fatal error fails what it holds and refuses what comes; the next tick aborts, the abort
 * fails as fatal, and the producer is renewed. Nothing is credited twice, all once.
 */
static void
test_a_fenced_open_transaction_renews_the_producer(void)
{
	struct fixture fixture;

	if (fixture_open(&fixture) < 0) {
		CHECK(!"the mock cluster's transactional producer opens");
		return;
	}
	rd_kafka_mock_push_request_errors(fixture.mock, API_ADD_PARTITIONS_TO_TXN, 1,
	    RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
	ledger_send_all(&fixture.ledger);
	for (int i = 0; i < 250 && !publisher_failed(fixture.publisher); i++)
		ledger_run_for(&fixture.ledger, 20);
	CHECK(publisher_failed(fixture.publisher));
	ledger_run_until_credited(&fixture.ledger);
	check_ledger(&fixture);
	CHECK(fixture.ledger.ends > 0 && fixture.ledger.outcome[0] == 0);
	/* a new one */
	CHECK(strcmp(rd_kafka_name(fixture.cluster.producer), fixture.first_producer) != 0);
	CHECK(fixture.cluster.status.producer_renewals == 1);
	CHECK(fixture.cluster.status.commits >= 1);
	fixture_close(&fixture);
}

/*
 * The child of the give-up test: the commit fenced, and every new producer's
 * init_transactions refused (a fatal answer, so each fails at once). It must exit 1 from
 * txn.c; returning here (status 0) means it went on renewing.
 */
static int
renew_until_given_up(void)
{
	struct fixture fixture;
	int64_t deadline;

	if (fixture_open(&fixture) < 0)
		return 2;
	ledger_send_all(&fixture.ledger);
	for (int i = 0; i < 100 && publisher_unreported(fixture.publisher) > 0; i++)
		ledger_run_for(&fixture.ledger, 20);
	rd_kafka_mock_push_request_errors(fixture.mock, API_INIT_PRODUCER_ID, 10,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
	    RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
	rd_kafka_mock_push_request_errors(fixture.mock, API_END_TXN, 1,
	    RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
	txn_tick(&fixture.cluster, 1);
	deadline = monotonic_ms() + 60000;
	while (monotonic_ms() < deadline)
		ledger_run_for(&fixture.ledger, 50);
	return 0;
}

/*
 * Renewal's give-up path: RENEW_ATTEMPTS (3) new producers whose init_transactions fail in
 * a row end the process with status 1 and a cluster.transaction_fatal line naming them,
 * before any renewal went through (10 refusals were pushed: a fourth new producer would have
 * been refused too, and one after the tenth renewed).
 */
static void
test_renewal_gives_up_after_failing_inits(void)
{
	char path[] = "/tmp/wiresift-renew-log-XXXXXX", text[65536] = "";
	int fd = mkstemp(path), status = -1;
	pid_t child;
	FILE *log;
	size_t length;

	fflush(NULL);
	if (fd < 0 || (child = fork()) < 0) {
		CHECK(!"a child to give up in");
		return;
	}
	if (child == 0) {
		dup2(fd, STDERR_FILENO);
		_exit(renew_until_given_up());
	}
	waitpid(child, &status, 0);
	log = fopen(path, "r");
	length = log != NULL ? fread(text, 1, sizeof text - 1, log) : 0;
	text[length] = '\0';
	if (log != NULL)
		fclose(log);
	close(fd);
	unlink(path);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILURE);
	CHECK_CONTAINS(text, "event=cluster.transaction_fatal call=init error=\"3 new producers "
	    "failed, the last: ");
	CHECK(strstr(text, "event=cluster.producer_renewed") == NULL);
	if (check_current_failures > 0)
		fprintf(stderr, "%s", text);
}

int
main(void)
{
	RUN(test_a_fenced_commit_renews_the_producer);
	RUN(test_a_fenced_open_transaction_renews_the_producer);
	RUN(test_renewal_gives_up_after_failing_inits);
	return check_finish();
}
