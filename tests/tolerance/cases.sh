# cases.sh -- the cases tests/tolerance_test.sh checks (sourced by it and by
# record.sh): the committed Hopper shape traces, and decode on every arch x
# stack x model preset plus batch and context points.
REPLAY_ARCHS="h100 h200"
decode_cases() {
  local arch stack model
  for arch in gb10 rtx5090 h100 h200; do
    for stack in vllm-cutlass llamacpp torch-bf16; do
      for model in gpt-oss-120b gpt-oss-20b; do
        echo "--arch $arch --stack $stack --model $model"
      done
    done
  done
  echo "--batch 4"
  echo "--batch 64"
  echo "--ctx 65536"
  echo "--stack llamacpp --ctx 65536"
  echo "--stack torch-bf16 --batch 16"
  echo "--arch h100 --stack torch-bf16 --batch 256"
  echo "--arch h200 --stack llamacpp --batch 64 --ctx 8192"
}
