/*
 * test-cxx.cc: C++ that names the QNX calls every way ported code does,
 * compiled with <qshm.h>: an interface with members named shm_open and
 * getrlimit, a gmock mock of it (as Eclipse S-CORE's QNX mock is), calls
 * through ::shm_open, &shm_open and std::function, and the handle limit
 * reached through ::setrlimit() / ::getrlimit() without touching the
 * kernel's RLIMIT_RTTIME, which shares its number.
 */

#include <qshm.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <functional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

class Osal {
public:
	virtual ~Osal() = default;
	virtual int shm_open(const char *name, int oflag, mode_t mode) = 0;
	virtual int getrlimit(int resource, struct rlimit *rlp) = 0;
};

class RealOsal : public Osal {
public:
	int shm_open(const char *name, int oflag, mode_t mode) override
	{
		return ::shm_open(name, oflag, mode);
	}
	int getrlimit(int resource, struct rlimit *rlp) override
	{
		return ::getrlimit(resource, rlp);
	}
};

class OsalMock : public Osal {
public:
	MOCK_METHOD(int, shm_open, (const char *, int, mode_t), (override));
	MOCK_METHOD(int, getrlimit, (int, struct rlimit *), (override));
};

/* Whether fd is an anonymous object (a memfd), then close it. */
bool
is_memfd(int fd)
{
	char	path[64], link[64];
	ssize_t	n;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof link - 1);
	close(fd);
	return (n > 7 && memcmp(link, "/memfd:", 7) == 0);
}

/* A private broker for the limit calls; stopped at exit. */
pid_t	broker = -1;
char	broker_dir[] = "/tmp/qshm-cxx-XXXXXX";

bool
start_broker()
{
	const char	*qshmctl = getenv("QSHMCTL");
	std::string	 sock;

	if (qshmctl == nullptr || mkdtemp(broker_dir) == nullptr)
		return (false);
	sock = std::string(broker_dir) + "/broker.sock";
	setenv("QSHM_SOCKET", sock.c_str(), 1);
	setenv("QSHM_AUTOSTART", "0", 1);
	if ((broker = fork()) == 0) {
		execl(qshmctl, qshmctl, "broker", "--socket", sock.c_str(),
		    (char *)nullptr);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		struct stat	st;

		if (stat(sock.c_str(), &st) == 0)
			return (true);
		usleep(5000);
	}
	return (false);
}

void
stop_broker()
{
	if (broker > 0) {
		kill(broker, SIGTERM);
		waitpid(broker, nullptr, 0);
	}
	rmdir(broker_dir);
}

} // namespace

TEST(Names, MockNamedShmOpen)
{
	OsalMock	m;
	Osal		&o = m;

	EXPECT_CALL(m, shm_open(SHM_ANON, O_RDWR, 0600))
	    .WillOnce(::testing::Return(42));
	EXPECT_EQ(o.shm_open(SHM_ANON, O_RDWR, 0600), 42);
}

TEST(Names, MockNamedGetrlimit)
{
	OsalMock	m;
	Osal		&o = m;
	struct rlimit	rl;

	EXPECT_CALL(m, getrlimit(RLIMIT_SHM_HANDLES_NP, &rl))
	    .WillOnce(::testing::Return(7));
	EXPECT_EQ(o.getrlimit(RLIMIT_SHM_HANDLES_NP, &rl), 7);
}

TEST(Names, GlobalScopeReachesQshm)
{
	RealOsal	r;

	EXPECT_TRUE(is_memfd(r.shm_open(SHM_ANON, O_RDWR | O_CREAT | O_ANON,
	    0600)));
}

TEST(Names, AddressReachesQshm)
{
	int	(*fn)(const char *, int, mode_t) = &shm_open;

	EXPECT_TRUE(is_memfd(fn(SHM_ANON, O_RDWR | O_CREAT, 0600)));
}

TEST(Names, StdFunctionReachesQshm)
{
	std::function<int(const char *, int, mode_t)>	f = ::shm_open;

	EXPECT_TRUE(is_memfd(f(SHM_ANON, O_RDWR, 0600)));
}

TEST(Names, LimitReachesBrokerNotKernel)
{
	struct rlimit	kernel_before, kernel_after, want, got;
	RealOsal	r;

	ASSERT_TRUE(start_broker());
	ASSERT_EQ(prlimit(0, RLIMIT_RTTIME, nullptr, &kernel_before), 0);
	want.rlim_cur = 3;
	want.rlim_max = 5;
	ASSERT_EQ(::setrlimit(RLIMIT_SHM_HANDLES_NP, &want), 0);
	ASSERT_EQ(r.getrlimit(RLIMIT_SHM_HANDLES_NP, &got), 0);
	EXPECT_EQ(got.rlim_cur, 3U);
	EXPECT_EQ(got.rlim_max, 5U);
	ASSERT_EQ(prlimit(0, RLIMIT_RTTIME, nullptr, &kernel_after), 0);
	EXPECT_EQ(kernel_after.rlim_cur, kernel_before.rlim_cur);
	EXPECT_EQ(kernel_after.rlim_max, kernel_before.rlim_max);
	stop_broker();
}

int
main(int argc, char **argv)
{
	::testing::InitGoogleMock(&argc, argv);
	/* One "[  FAILED  ] Name" line per case, as tests/run.sh counts. */
	GTEST_FLAG_SET(print_time, false);
	return (RUN_ALL_TESTS());
}
