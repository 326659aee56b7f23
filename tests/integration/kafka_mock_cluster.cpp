// librdkafka's mock Kafka cluster as a process for the integration tests: brokers listening
// on 127.0.0.1 with consumer groups and committed offsets, driven over stdin.
//   kafka_mock_cluster BROKERS TOPIC:PARTITIONS...
// Prints "bootstrap HOST:PORT,..." once the topics exist, then reads commands:
//   down ID / up ID   take broker ID down or bring it back
// and exits at the end of its input.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: kafka_mock_cluster BROKERS TOPIC:PARTITIONS...\n";
    return 64;
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err) != RD_KAFKA_CONF_OK) return 70;
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "kafka_mock_cluster: " << err << "\n";
    return 70;
  }
  const int brokers = std::atoi(argv[1]);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::cerr << "kafka_mock_cluster: cannot start the mock cluster\n";
    return 70;
  }
  for (int i = 2; i < argc; ++i) {
    std::string spec = argv[i];
    auto colon = spec.find(':');
    if (colon == std::string::npos) return 64;
    const int partitions = std::atoi(spec.c_str() + colon + 1);
    if (rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, spec.substr(0, colon).c_str(), partitions,
                                                           brokers < 3 ? brokers : 3)) {
      std::cerr << "kafka_mock_cluster: topic " << spec << ": " << rd_kafka_err2str(e) << "\n";
      return 70;
    }
  }
  std::cout << "bootstrap " << rd_kafka_mock_cluster_bootstraps(cluster) << std::endl;
  std::string command;
  int id = 0;
  while (std::cin >> command >> id) {
    rd_kafka_resp_err_t e = command == "down" ? rd_kafka_mock_broker_set_down(cluster, id)
                            : command == "up"  ? rd_kafka_mock_broker_set_up(cluster, id)
                                               : RD_KAFKA_RESP_ERR__INVALID_ARG;
    std::cout << (e ? "error " : "ok ") << command << " " << id << std::endl;
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
