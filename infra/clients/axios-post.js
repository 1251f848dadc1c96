// The overview note's Node sender, unsigned JSON: `axios.post(url, payload)`.
// Usage: node axios-post.js URL AUTHOR MESSAGE
// Prints one JSON line, {"status": <HTTP status>, "body": <the answer>}; exits 1 without an
// answer. Never prints the URL: for a URL-token source it holds the secret.
const axios = require("axios");

async function main() {
  const [url, name, message] = process.argv.slice(2);
  const payload = { commits: [{ author: { name }, message }] };
  try {
    const res = await axios.post(url, payload);
    console.log(JSON.stringify({ status: res.status, body: res.data }));
  } catch (err) {
    // axios rejects any non-2xx answer; the answer is still what the caller wants to see.
    if (!err.response) {
      console.error(`no answer: ${err.code || err.name}`);
      process.exit(1);
    }
    console.log(JSON.stringify({ status: err.response.status, body: err.response.data }));
  }
}

main();
